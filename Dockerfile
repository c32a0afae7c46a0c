# The knowledge base API on SQLite (the default) or PostgreSQL (set DATABASE_URL).
#
#   docker build -t treatment-kb .
#   docker run --rm -p 8000:8000 -v kb-data:/data treatment-kb
#
# On start the container runs `kb seed --keep-writes` (migrate, then load data/seed.json: a
# no-op when the file is the one last loaded; never over writes made through the API since)
# and then `kb serve`.
#
# BASE_IMAGE: any image with Python 3.11 and its venv module. Without a registry, build one
# from Debian's packages: deploy/debian-base-image.sh, then --build-arg BASE_IMAGE=kb-base:bookworm.
# Behind a proxy that re-signs TLS, hand pip its settings and the CA bundle as BuildKit
# secrets (used by the install step only, never stored in the image; docs/scaling.md):
#   DOCKER_BUILDKIT=1 docker build --network host \
#     --secret id=pip.conf,src=/etc/pip.conf --secret id=ca.crt,src=/etc/ssl/certs/ca-certificates.crt .
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/kb/bin:$PATH

WORKDIR /app

# The same install as the Makefile's, without the dev tools and not editable, in a virtual
# environment of its own (a distribution's Python refuses installs into its own site-packages).
COPY pyproject.toml README.md LICENSE ./
COPY app ./app
RUN --mount=type=secret,id=pip.conf --mount=type=secret,id=ca.crt \
    if [ -f /run/secrets/pip.conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip.conf; fi \
    && if [ -f /run/secrets/ca.crt ]; then export PIP_CERT=/run/secrets/ca.crt; fi \
    && python3 -m venv /opt/kb \
    && /opt/kb/bin/pip install . \
    && rm -rf /app/build /app/*.egg-info

COPY data ./data

RUN useradd --create-home --uid 10001 kb \
    && mkdir /data \
    && chown kb:kb /data

# Set explicitly: the defaults in app/config.py are relative to the source tree, which an
# installed (non-editable) package does not have.
ENV DATABASE_URL=sqlite:////data/kb.sqlite3 \
    SEED_FILE=/app/data/seed.json \
    PORT=8000

USER kb
VOLUME /data
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/readyz', timeout=4)" || exit 1

CMD ["sh", "-c", "kb seed --keep-writes && exec kb serve --host 0.0.0.0"]
