#!/usr/bin/env bash
# Builds the .deb with CPack, installs it, and checks the installed jlrec works:
# --version and validate of the installed example manifest. Removes it again.
set -euo pipefail
BUILD=${1:-build}
cd "$BUILD"
rm -f jlrec_*.deb
cpack -G DEB >/dev/null
deb=$(ls jlrec_*.deb)
echo "package-test: built $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n 's/^ *\(Depends:.*\)/package-test: \1/p'
dpkg -i "$deb" >/dev/null
trap 'dpkg -r jlrec >/dev/null' EXIT
/usr/bin/jlrec --version
/usr/bin/jlrec validate -m /usr/share/jlrec/examples/lab.yaml
/usr/bin/jlrec validate -m /usr/share/jlrec/examples/jiliang.yaml
test -f /usr/share/man/man1/jlrec.1
test -f /usr/share/jlrec/contrib/jlrec-drift.cron
echo "package-test: passed"
