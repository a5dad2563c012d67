FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY perfmgmt ./perfmgmt
COPY objectives ./objectives
COPY metrics ./metrics
COPY reviews ./reviews
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --create-home perfmgmt && chown -R perfmgmt /app
USER perfmgmt
EXPOSE 8000
