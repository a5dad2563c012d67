from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('perfmgmt', '0006_encrypt_webhook'),
    ]

    operations = [
        migrations.AddField(
            model_name='organization',
            name='require_2fa_for_admins',
            field=models.BooleanField(default=False, help_text="Admins without an authenticator app are asked to set one up before they can open this organisation's pages.", verbose_name='Require two-factor sign-in for admins'),
        ),
    ]
