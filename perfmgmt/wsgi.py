import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfmgmt.settings")
application = get_wsgi_application()

# The URLconf imports every view and what they use (the pack's PDF and workbook libraries, the
# forecasts' statistics): load it as the process starts, so no first request pays for it and
# the freeze below covers it too.
import_module(settings.ROOT_URLCONF)

# What is loaded by now (Django, the apps, the libraries) lives as long as the process. Freezing
# it keeps the collector's full passes from scanning those ~100k objects again and again: on the
# status pages such a pass cost 30-45 ms in one request out of ten, which was most of their p95.
gc.collect()
gc.freeze()
