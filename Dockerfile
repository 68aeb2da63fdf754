# Sluice in a container: a static binary (no cgo) run as an unprivileged
# user. See docs/upgrade.md ("Docker").
#
#   docker build -t sluice .
#   docker run --rm -p 8080:8080 -v "$PWD/sluice.toml:/etc/sluice/sluice.toml:ro" sluice
#
# The configuration's command_socket and saved_state should be under
# /var/lib/sluice (the user's own folder); listeners on ports under 1024
# need --cap-add NET_BIND_SERVICE or a published port mapping instead.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/sluice ./cmd/sluice

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/sluice --create-home --shell /usr/sbin/nologin sluice \
	&& mkdir -p /etc/sluice
COPY --from=build /out/sluice /usr/local/bin/sluice
COPY examples/docker/sluice.toml /etc/sluice/sluice.toml
USER sluice
WORKDIR /var/lib/sluice
EXPOSE 8080
# SIGTERM (docker stop) is a soft stop: requests in flight finish within
# shutdown_timeout; give docker stop a --stop-timeout above it.
ENTRYPOINT ["/usr/local/bin/sluice"]
CMD ["start", "-c", "/etc/sluice/sluice.toml"]
