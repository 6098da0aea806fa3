# The same base with more packages: the "full" variant of tag 12.
FROM localhost/base:12-v2
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
CMD ["bash"]
