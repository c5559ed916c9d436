#!/usr/bin/env bash
# Builds the .deb from the debug binary (no release build in CI), extracts it, and checks that every
# file is where a desktop and systemd expect it, that the desktop entry and metainfo validate, and that
# the packed binary runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo-deb >/dev/null; then
  cargo install cargo-deb --locked --version 3.8.0
fi
# `cargo test` has built the binary already (the integration tests run it); build it only when missing.
[ -x target/debug/skvoz ] || cargo build --locked --bin skvoz
rm -rf target/debian
cargo deb --no-build --profile dev >/dev/null 2>&1
deb=$(ls target/debian/skvoz_*.deb)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
for f in usr/bin/skvoz usr/share/applications/skvoz.desktop usr/share/metainfo/skvoz.metainfo.xml \
         usr/share/icons/hicolor/scalable/apps/skvoz.svg usr/lib/systemd/system/skvoz-serve.service; do
  [ -e "$root/$f" ] || { echo "missing in the package: $f" >&2; exit 1; }
done
for s in 32 64 128 256 512; do
  [ -e "$root/usr/share/icons/hicolor/${s}x${s}/apps/skvoz.png" ] || { echo "missing icon ${s}x${s}" >&2; exit 1; }
done
desktop-file-validate "$root/usr/share/applications/skvoz.desktop"
appstreamcli validate --no-net "$root/usr/share/metainfo/skvoz.metainfo.xml" >/dev/null
# The unit is installed, not enabled: no symlink under multi-user.target.wants.
dpkg-deb -I "$deb" postinst | grep -q "adduser --system" || { echo "postinst does not create the skvoz user" >&2; exit 1; }
version=$("$root/usr/bin/skvoz" --version)
case "$version" in
  *"схема хранилища"*) ;;
  *) echo "unexpected --version: $version" >&2; exit 1 ;;
esac
echo "package ok: $deb ($version)"
