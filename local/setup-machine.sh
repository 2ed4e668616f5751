#!/usr/bin/env bash
# The Debian packages the tests and the local stack's container mode need, installed when missing: `npm test` and
# `.ci/run` call this first. As root with apt-get it installs them; otherwise it names them and exits 1.
# The Google Cloud SDK (the Pub/Sub and Firestore emulators) and kubectl are not in Debian: they are checked only.
set -euo pipefail

packages=()
command -v java >/dev/null || packages+=(openjdk-17-jre-headless)
command -v chromium >/dev/null || packages+=(chromium)
# The Kubernetes emulator serves HTTPS with a certificate it makes at start: kubectl sends tokens only over TLS.
command -v openssl >/dev/null || packages+=(openssl)
# Every image the pipeline runs is run as a container, as Google Cloud runs it (README, "What the local stack runs").
for tool in podman runc docker-registry mmdebstrap; do
  command -v "$tool" >/dev/null || packages+=("$tool")
done
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "modelship: missing ${packages[*]}; install them: sudo apt-get install --no-install-recommends ${packages[*]}" >&2
    exit 1
  fi
  echo "modelship: installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
for tool in gcloud kubectl; do
  if ! command -v "$tool" >/dev/null; then
    echo "modelship: $tool is required (the Google Cloud SDK with its Pub/Sub and Firestore emulators, and kubectl)" >&2
    exit 1
  fi
done
