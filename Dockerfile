# The xcs container image, for CI systems other than GitHub Actions: the static (musl) binary on
# an empty base, nothing else. The release workflow puts each architecture's binary at
# dist/<arch>/xcs (arch as Docker names it: amd64, arm64) and builds both platforms at once.
#
#   docker run --rm -v "$PWD:/repo" -w /repo ghcr.io/<owner>/xcs validate .
#
# The image has no CA certificates: for XNAT over HTTPS, mount the host's
# (-v /etc/ssl/certs:/etc/ssl/certs:ro) or pass a CA bundle with --ca-cert.
FROM scratch
ARG TARGETARCH
COPY dist/${TARGETARCH}/xcs /xcs
ENTRYPOINT ["/xcs"]
