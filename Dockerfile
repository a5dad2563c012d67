FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The pack's PDF (WeasyPrint) needs Pango and fonts with accents and CJK.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Exactly the versions in the lock file, each checked against its hash.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
# The code runs from /app as it is (manage.py, gunicorn, celery and python -m all find it
# there): nothing to build, so nothing fetched outside the lock file.
COPY . .
# Hashed, compressed static files, built once into the image. The values below exist only for
# this step (settings refuse to load without them); nothing is stored.
RUN DEBUG=0 ALLOWED_HOSTS=build DATABASE_URL=postgres://build@127.0.0.1:1/build \
       SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
       FIELD_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
       python manage.py collectstatic --noinput -v0 \
    && useradd --create-home perfmgmt \
    && mkdir -p /app/var/media \
    && chown -R perfmgmt /app
USER perfmgmt
EXPOSE 8000
CMD ["gunicorn", "perfmgmt.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
