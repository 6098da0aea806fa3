# A small Debian base, tagged 12: deb-base plus one package. Built twice: first with
# the security suite switched off (the tag's first digest), then with it (the tag's
# second digest, the one a refresh brings).
FROM localhost/test/deb-base:latest
ARG PKG=patch
ARG SECURITY=off
RUN if [ "$SECURITY" = off ]; then grep -v -- -security /etc/apt/sources.list > /tmp/apt.list; \
    else cp /etc/apt/sources.list /tmp/apt.list; fi \
 && apt-get -o Dir::Etc::SourceList=/tmp/apt.list -o Dir::Etc::SourceParts=/nonexistent update \
 && apt-get -o Dir::Etc::SourceList=/tmp/apt.list -o Dir::Etc::SourceParts=/nonexistent \
      install -y --no-install-recommends "$PKG" \
 && rm -rf /var/lib/apt/lists/* /tmp/apt.list
CMD ["bash"]
