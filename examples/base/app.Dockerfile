# An application on the base's first digest of tag 12.
ARG BASE=localhost/base:12
FROM ${BASE}
WORKDIR /app
COPY app.sh /app/app.sh
RUN chmod 0755 /app/app.sh
CMD ["/app/app.sh"]
