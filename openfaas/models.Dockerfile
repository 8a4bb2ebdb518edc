# Derives a function image with its model files baked in under /models, for OpenFaaS, whose functions cannot
# mount volumes (Compose mounts the `models` volume instead). Build context = a folder laid out like /models:
#   docker build -f openfaas/models.Dockerfile --build-arg BASE=ghcr.io/arc-daredevil/arc-tts:0.1.0 \
#     -t ghcr.io/arc-daredevil/arc-tts:0.1.0-models ./models
ARG BASE
FROM ${BASE}
COPY --chown=0:0 . /models/
