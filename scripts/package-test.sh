#!/usr/bin/env bash
# Builds the .deb with CPack, runs lintian on it, installs it (as root, on this machine) and
# checks what an admin gets: the jlrec system user, /var/lib/jlrec (0700, jlrec's), the
# example /etc/jlrec/jlrec.yaml (a conffile that validates as jlrec), the units installed and
# verified but not enabled, shell completion; then enables the timer as an admin would, checks
# that an upgrade keeps it enabled and keeps an edited manifest and the state, and purges:
# the package's files, /etc/jlrec, /var/lib/jlrec and the enablement gone, nothing else under
# /etc, /var/lib/systemd or the package's directories changed. The jlrec user outlives a
# purge by design (packaging/postrm); the test removes it if it made it.
set -euo pipefail
BUILD=${1:-build}
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$BUILD"
say() { echo "package-test: $*"; }
fail() {
  echo "package-test: FAILED: $*" >&2
  exit 1
}

if dpkg-query -W -f='${db:Status-Status}' jlrec 2>/dev/null | grep -qv '^not-installed$'; then
  fail "jlrec is installed on this machine ($(dpkg-query -W -f='${db:Status-Status}' jlrec)): the test ends with dpkg --purge, which would delete its /var/lib/jlrec; purge it first"
fi
for path in /etc/jlrec /var/lib/jlrec; do
  [[ ! -e $path ]] || fail "$path exists without the package: the test's purge would delete it"
done

rm -f jlrec_*.deb
cpack -G DEB >/dev/null
deb=$(ls jlrec_*.deb)
say "built $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n 's/^ *\(Depends:.*\)/package-test: \1/p'

# lintian: any error or warning fails, but for the overrides the package ships
# (/usr/share/lintian/overrides/jlrec, each with its reason). Info tags are shown. As nobody
# when it can read the .deb (lintian warns when run as root).
lintian_as=()
if runuser -u nobody -- test -r "$PWD/$deb"; then lintian_as=(runuser -u nobody --); fi
if ! lintian_out=$("${lintian_as[@]}" lintian --fail-on error,warning --display-info "$PWD/$deb" 2>&1); then
  echo "$lintian_out" >&2
  fail "lintian reports errors or warnings not overridden (packaging/lintian-overrides)"
fi
[[ -z $lintian_out ]] || sed 's/^/package-test: lintian: /' <<<"$lintian_out"
say "lintian: no error or warning beyond the documented overrides"

# What must be as it was after the purge: /etc (but for the user database, which the jlrec
# user changes until the test removes it), systemd's enablement state, the directories the
# package installs into.
snapshot() {
  find /etc /var/lib/systemd /usr/lib/systemd /usr/share/doc /usr/share/man/man1 \
    /usr/share/lintian /usr/share/bash-completion /usr/share/zsh /usr/share/fish /usr/bin \
    -xdev -printf '%p %y %m %u %g %l\n' 2>/dev/null |
    grep -Ev '^/etc/(passwd|group|shadow|gshadow|subuid|subgid)-? ' | sort
}
before=$(mktemp)
after=$(mktemp)
serve_log=$(mktemp)
snapshot >"$before"
made_user=no
getent passwd jlrec >/dev/null || made_user=yes

cleanup() {
  if [[ -n ${serve_pid:-} ]]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  dpkg --purge jlrec >/dev/null 2>&1 || true
  # After a failure in postrm itself: what its purge should have removed.
  if compgen -G '/var/lib/systemd/deb-systemd-helper-enabled/jlrec-*' >/dev/null; then
    DPKG_MAINTSCRIPT_PACKAGE=jlrec deb-systemd-helper purge jlrec-drift.timer jlrec-serve.service || true
  fi
  if [[ $made_user == yes ]] && getent passwd jlrec >/dev/null; then
    userdel jlrec || true
  fi
  if [[ $made_user == yes ]] && getent group jlrec >/dev/null; then
    groupdel jlrec || true
  fi
  rm -f "$before" "$after" "$serve_log"
}
trap cleanup EXIT

dpkg -i "$deb" >/dev/null
/usr/bin/jlrec --version

# The user: a system user and group, home /var/lib/jlrec, no login shell.
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd jlrec) || fail "no jlrec user after install"
[[ $(getent group "$gid" | cut -d: -f1) == jlrec ]] || fail "jlrec's primary group is not jlrec"
((uid < 1000 && gid < 1000)) || fail "jlrec is not a system user/group (uid $uid, gid $gid)"
[[ $home == /var/lib/jlrec ]] || fail "jlrec's home is $home, not /var/lib/jlrec"
[[ $shell == /usr/sbin/nologin ]] || fail "jlrec's shell is $shell, not /usr/sbin/nologin"
[[ $(stat -c '%a %U %G' /var/lib/jlrec) == '700 jlrec jlrec' ]] ||
  fail "/var/lib/jlrec is $(stat -c '%a %U %G' /var/lib/jlrec), not 700 jlrec jlrec"
[[ $(stat -c '%a %U %G' /var/lib/jlrec/.ssh) == '700 jlrec jlrec' ]] ||
  fail "/var/lib/jlrec/.ssh is $(stat -c '%a %U %G' /var/lib/jlrec/.ssh), not 700 jlrec jlrec"
say "user jlrec (uid $uid, gid $gid, home $home, shell $shell), /var/lib/jlrec 700 jlrec:jlrec"

# The example manifest: a conffile, valid for the installed jlrec run as jlrec, and aimed at
# hosts that cannot exist (every address under .invalid).
example=/etc/jlrec/jlrec.yaml
[[ $(stat -c '%a %U' /etc/jlrec "$example") == $'755 root\n644 root' ]] ||
  fail "/etc/jlrec or $example has the wrong mode or owner"
dpkg-query -W -f='${Conffiles}\n' jlrec | grep -q "^ $example " || fail "$example is not a conffile"
(cd / && runuser -u jlrec -- /usr/bin/jlrec validate -m "$example") ||
  fail "$example does not validate as the jlrec user"
addresses=$(grep -Eo 'address: *[^ },]+' "$example" | sed 's/address: *//')
[[ -n $addresses ]] || fail "no address in $example"
! grep -v '\.invalid$' <<<"$addresses" || fail "$example names a host outside .invalid"
/usr/bin/jlrec validate -m /usr/share/jlrec/examples/lab.yaml
/usr/bin/jlrec validate -m /usr/share/jlrec/examples/jiliang.yaml
for f in /usr/share/man/man1/jlrec.1.gz /usr/share/doc/jlrec/manifest.md \
  /usr/share/jlrec/contrib/jlrec-drift.cron /usr/share/lintian/overrides/jlrec; do
  test -f "$f" || fail "$f not installed"
done

# The units: installed, verified by systemd, registered with deb-systemd-helper (so purge
# finds their links), not enabled.
units=(jlrec-drift.service jlrec-drift.timer jlrec-serve.service)
for unit in "${units[@]}"; do
  test -f "/usr/lib/systemd/system/$unit" || fail "$unit not installed"
done
if command -v systemd-analyze >/dev/null; then
  verify=$(cd /usr/lib/systemd/system && systemd-analyze verify "${units[@]}" 2>&1) ||
    fail "systemd-analyze verify: $verify"
  [[ -z $verify ]] || fail "systemd-analyze verify: $verify"
  say "systemd-analyze verify: ${units[*]} clean"
else
  say "systemd-analyze absent, the units not verified"
fi
for unit in jlrec-drift.timer jlrec-serve.service; do
  test -f "/var/lib/systemd/deb-systemd-helper-enabled/$unit.dsh-also" ||
    fail "$unit not registered with deb-systemd-helper (purge would miss its links)"
done
enabled_links() { find /etc/systemd/system -name 'jlrec-*' 2>/dev/null | sort; }
[[ -z $(enabled_links) ]] || fail "enabled (or masked) after install: $(enabled_links)"
[[ $(systemctl is-enabled jlrec-drift.timer 2>&1) == disabled ]] ||
  fail "jlrec-drift.timer is $(systemctl is-enabled jlrec-drift.timer 2>&1) after install"
say "units installed and disabled"
/usr/bin/jlrec serve --help >/dev/null
/usr/bin/jlrec drift --help >/dev/null

# jlrec inside the units' sandbox (packaging/sandbox-run.py emulates each hardening setting
# of the unit, as no systemd may be running here): the drift unit's validate, and the serve
# unit's server answering from its state file (--interval 0: no host is contacted; the
# example's hosts would need DNS) and stopping cleanly on SIGTERM.
sandbox=$SOURCE/packaging/sandbox-run.py
if [[ -x /usr/bin/python3 ]] && ldconfig -p | grep -q 'libseccomp\.so\.2 '; then
  unit_dir=/usr/lib/systemd/system
  "$sandbox" "$unit_dir/jlrec-drift.service" -- /usr/bin/jlrec validate -m "$example" >/dev/null ||
    fail "jlrec validate fails in jlrec-drift.service's sandbox"
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$sandbox" "$unit_dir/jlrec-serve.service" -- /usr/bin/jlrec serve -m "$example" \
    --state /var/lib/jlrec/state.db --listen "127.0.0.1:$port" --interval 0 2>"$serve_log" &
  serve_pid=$!
  for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  # /api/v1/groups opens the state file (made at the first request that reads it).
  for route in /metrics / /api/v1/groups; do
    curl -sf -o /dev/null "http://127.0.0.1:$port$route" ||
      fail "jlrec serve does not answer $route in jlrec-serve.service's sandbox: $(cat "$serve_log")"
  done
  # The sandbox's own pid is jlrec's (it execs it).
  kill -TERM "$serve_pid"
  wait "$serve_pid" || fail "jlrec serve exited $? on SIGTERM in its sandbox: $(cat "$serve_log")"
  serve_pid=
  [[ $(stat -c '%a %U' /var/lib/jlrec/state.db) == '600 jlrec' ]] ||
    fail "the state file is $(stat -c '%a %U' /var/lib/jlrec/state.db), not 600 jlrec"
  say "sandbox: validate and serve (HTTP, SIGTERM exit 0, state 600 jlrec) work under the units' hardening"
else
  say "no python3 or libseccomp: jlrec not run in the units' sandbox"
fi

# Shell completion, whenever the installed jlrec has the command (packaging/completion.cmake).
if /usr/bin/jlrec --help | grep -q '^  completion '; then
  bash_completion=/usr/share/bash-completion/completions/jlrec
  test -s "$bash_completion" || fail "no $bash_completion"
  bash -n "$bash_completion" || fail "$bash_completion does not parse"
  test -s /usr/share/zsh/vendor-completions/_jlrec || fail "no zsh completion"
  test -s /usr/share/fish/vendor_completions.d/jlrec.fish || fail "no fish completion"
  say "completion: bash (parses), zsh and fish installed"
else
  say "no completion command in this build: no shell completion checked"
fi

# The admin enables the timer (systemctl works on the files, systemd running or not).
systemctl enable jlrec-drift.timer 2>/dev/null
link=/etc/systemd/system/timers.target.wants/jlrec-drift.timer
[[ -L $link && $(readlink -f "$link") == */systemd/system/jlrec-drift.timer ]] ||
  fail "systemctl enable made no $link"
say "timer enabled: $link -> $(readlink "$link")"

# An upgrade (the same package again: postinst configure with the old version) keeps the
# enablement, an edited manifest and the state.
echo "# edited by package-test" >>"$example"
runuser -u jlrec -- sh -c 'echo test >/var/lib/jlrec/package-test-state'
dpkg -i "$deb" >/dev/null
[[ -L $link ]] || fail "the upgrade disabled jlrec-drift.timer"
tail -n1 "$example" | grep -q 'edited by package-test' || fail "the upgrade replaced $example"
test -f /var/lib/jlrec/package-test-state || fail "the upgrade lost /var/lib/jlrec's content"
[[ $(stat -c '%a %U' /var/lib/jlrec) == '700 jlrec' ]] || fail "the upgrade changed /var/lib/jlrec"
say "upgrade kept the enabled timer, the edited manifest and the state"

# Purge: every file of the package, /etc/jlrec, /var/lib/jlrec, the enablement gone.
mapfile -t files < <(dpkg -L jlrec)
dpkg --purge jlrec >/dev/null
for f in "${files[@]}"; do
  if [[ -e $f && ! -d $f ]]; then fail "$f left after purge"; fi
done
for path in /etc/jlrec /var/lib/jlrec "$link"; do
  [[ ! -e $path && ! -L $path ]] || fail "$path left after purge"
done
[[ -z $(enabled_links) ]] || fail "left after purge: $(enabled_links)"
! compgen -G '/var/lib/systemd/deb-systemd-helper-*/jlrec-*' >/dev/null ||
  fail "deb-systemd-helper state left: $(compgen -G '/var/lib/systemd/deb-systemd-helper-*/jlrec-*')"
getent passwd jlrec >/dev/null || fail "purge removed the jlrec user (postrm says it stays)"
say "purged: files, /etc/jlrec, /var/lib/jlrec and the timer's link gone; user jlrec kept"

if [[ $made_user == yes ]]; then
  userdel jlrec
  ! getent group jlrec >/dev/null || groupdel jlrec
fi
snapshot >"$after"
if ! diff -u "$before" "$after" >&2; then
  fail "the install/purge changed the files above"
fi
say "nothing else changed under /etc, /var/lib/systemd and the package's directories"
say "passed"
