FROM python:3.11-slim
# WeasyPrint renders PDF reports with Pango.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e .
ENV QMS_DATABASE_URL=postgresql+psycopg://qms:qms@db/qms
CMD ["qms", "--help"]
