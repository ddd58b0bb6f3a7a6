#!/bin/sh
# make deb: berth_<version>_<arch>.deb in the source directory, from a
# release build installed under /usr (make install DESTDIR=... PREFIX=/usr),
# laid out as Debian's policy asks: stripped binaries, gzipped man pages, a
# copyright file and a changelog, dependencies from dpkg-shlibdeps.
set -eu
cd "$(dirname "$0")/.."
version=$(sed -n 's/^project(berth VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt)
arch=$(dpkg --print-architecture)
release=${RELEASE:-build-release}
stage=$PWD/$release/deb-root
deb=berth_${version}_${arch}.deb

rm -rf "$stage"
make --no-print-directory install DESTDIR="$stage" PREFIX=/usr

# Binaries and the library without symbols or notes (lintian's
# unstripped-binary-or-object); the shared library keeps its dynamic symbols.
for f in "$stage"/usr/bin/*; do
  strip --strip-all --remove-section=.comment --remove-section=.note "$f"
done
find "$stage/usr/lib" -type f -name 'libberth.so.*' -exec \
  strip --strip-unneeded --remove-section=.comment --remove-section=.note {} +
gzip -9n "$stage"/usr/share/man/man8/*.8

doc=$stage/usr/share/doc/berth
mkdir -p "$doc"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: berth"
  echo
  echo "Files: *"
  echo "Copyright: the berth authors"
  echo "License: Apache-2.0"
  echo " On Debian systems, the full text of the Apache License 2.0 is in"
  echo " /usr/share/common-licenses/Apache-2.0."
} > "$doc/copyright"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  echo "berth ($version) unstable; urgency=medium"
  echo
  echo "  * Built from commit $commit."
  echo
  echo " -- berth maintainers <berth@localhost>  $(date -R)"
} | gzip -9n > "$doc/changelog.Debian.gz"

# Dependencies of what is dynamically linked (berth itself is static).
shlibs=$(mktemp -d)
mkdir -p "$shlibs/debian"
printf 'Source: berth\n\nPackage: berth\nArchitecture: any\n' > "$shlibs/debian/control"
set --
for e in "$stage"/usr/bin/* $(find "$stage/usr/lib" -type f -name 'libberth.so.*'); do set -- "$@" "-e$e"; done
depends=$(cd "$shlibs" && dpkg-shlibdeps -O "$@" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shlibs"

mkdir -p "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: berth
Version: $version
Architecture: $arch
Maintainer: berth maintainers <berth@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $depends
Section: admin
Priority: optional
Description: OCI container runtime, runc-compatible, with a C++ library
 berth runs containers from OCI bundles with runc's command line, so podman,
 buildah, containerd, docker, CRI-O and Kubernetes can use it in place of
 runc or crun. It ships berth, its per-container shim (berth-shim), and
 libberth, the same engine as a C++ library (header and pkg-config file).
CONTROL
# The new library goes into ld.so's cache at install and out at removal.
echo "activate-noawait ldconfig" > "$stage/DEBIAN/triggers"
(cd "$stage" && find usr -type f -exec md5sum {} + | sort -k2) > "$stage/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "deb: $deb ($(du -h "$deb" | cut -f1)), Depends: $depends"
