FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e .
ENV QMS_DATABASE_URL=postgresql+psycopg://qms:qms@db/qms
CMD ["sh", "-c", "qms db upgrade && qms processmap load workflows/process-map.yaml && qms demo"]
