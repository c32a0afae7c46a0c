# The knowledge base API on SQLite (the default) or PostgreSQL (set DATABASE_URL).
#
#   docker build -t treatment-kb .
#   docker run --rm -p 8000:8000 -v kb-data:/data treatment-kb
#
# On start the container runs `kb seed --keep-writes` (migrate, then load data/seed.json: a
# no-op when the file is the one last loaded; never over writes made through the API since)
# and then `kb serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The same install as the Makefile's, without the dev tools and not editable.
COPY pyproject.toml README.md LICENSE ./
COPY app ./app
RUN pip install .

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
