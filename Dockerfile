# One image for both services; compose.yaml chooses which one each container serves.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CARECRED_DATA_DIR=/var/lib/carecred
WORKDIR /app
COPY pyproject.toml README.md ./
COPY carecred ./carecred
COPY contracts ./contracts
COPY shared ./shared
COPY services ./services
# The scanner's third-party script (pinned, sha512-checked) from the npm registry, then into the package.
RUN python -m carecred.webdeps && pip install --no-cache-dir . \
    && useradd --system --create-home carecred \
    && mkdir -p /var/lib/carecred && chown carecred /var/lib/carecred
USER carecred
EXPOSE 8001 8002
CMD ["carecred", "serve", "credential", "--host", "0.0.0.0"]
