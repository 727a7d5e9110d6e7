# snapstart-cleaner: both binaries (the worker `snapstart-cleaner` and the resolver
# `snapstart-cleaner-resolver`) in one small, non-root runtime image.
#   docker build -t snapstart-cleaner .
# The compose stack (docker-compose.yml) runs the worker and the resolver from this image.

FROM rust:1.92-bookworm AS build
# aws-lc-rs (TLS) builds its C part with cmake and clang.
RUN apt-get update && apt-get install -y --no-install-recommends cmake clang && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY proto proto
COPY rules rules
COPY telemetry telemetry
COPY aws aws
COPY scan scan
COPY deletion deletion
COPY restore restore
COPY notifications notifications
COPY worker worker
COPY resolver resolver
RUN cargo build --release --locked -p snapstart-worker -p snapstart-resolver

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/snapstart-cleaner /usr/local/bin/snapstart-cleaner
COPY --from=build /src/target/release/snapstart-cleaner-resolver /usr/local/bin/snapstart-cleaner-resolver
USER nonroot
ENV RESOLVER_LISTEN=0.0.0.0:8787
EXPOSE 8787
# The resolver's own probe (the image has no shell or curl); the worker's service turns it off.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/snapstart-cleaner-resolver", "--check-health"]
CMD ["/usr/local/bin/snapstart-cleaner", "--help"]
