#!/bin/bash
# Runs inside the test-deploy guest (a Debian root file system with systemd
# as PID 1, booted by scripts/test-deploy.sh) as a oneshot unit once the
# system is up: installs the package and drives the real unit.  Prints
# "ok N - ..." / "not ok N - ..." lines and "N passed, N failed" on the
# console, then powers the guest off.
set -uo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
n=0 failed=0
log=/tmp/step.log
check() {	# check "description" command...
	local what=$1; shift
	n=$((n + 1))
	if "$@" >"$log" 2>&1; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"; sed 's/^/#   /' "$log" | tail -20
		failed=$((failed + 1))
	fi
}
# waits up to $1 tenths of a second for the command after it to succeed
until_ok() {
	local t=$1; shift
	for _ in $(seq 1 "$t"); do "$@" && return 0; sleep 0.1; done
	"$@"
}
prop() { systemctl show -p "$1" --value custos.service; }
events=/var/log/custos/events.jsonl
has_record() {	# has_record KIND RULE: a line of that kind and rule in the events file
	grep -F "\"kind\":\"$1\"" "$events" 2>/dev/null | grep -qF "\"rule\":\"$2\""
}
# the file system as dpkg and the test do not touch it, to compare after purge
snapshot() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /var/lib/dpkg -o -path /var/log -o -path /var/lib/systemd \
		-o -path /var/cache -o -path /root -o -path /var/tmp \) -prune -o -print | sort
}

echo "deploy: $(uname -r), $(systemctl --version | head -1), lsm $(cat /sys/kernel/security/lsm)"
snapshot >/tmp/before.list
t0=$(date +%s)
check "dpkg -i installs the package (with only its Depends present)" dpkg -i /root/custos.deb
check "the unit is installed, not enabled" bash -c '[ "$(systemctl is-enabled custos)" = disabled ]'
check "systemd-analyze security rates the booted unit 4.0 or better" \
	systemd-analyze security --threshold=40 custos.service

# site rules: one of each kind, on things only this test does
cp /bin/true /usr/local/bin/deploy-marker
cp /bin/true /usr/local/bin/deploy-marker2
echo secret >/root/deploy-secret
cat >/etc/custos/rules.d/deploy.yaml <<'RULES'
custos: 1
rules:
  - id: deploy-exec
    on: exec
    severity: low
    when:
      exe: /usr/local/bin/deploy-marker
  - id: deploy-file
    on: file
    severity: high
    when:
      path: /root/deploy-secret
  - id: deploy-connect
    on: connect
    severity: medium
    when:
      dest: 127.0.0.2/32:9
RULES
chmod 0644 /etc/custos/rules.d/deploy.yaml

start() {
	systemctl start custos.service || return 1
	# Type=notify: start returned only after READY=1
	[ "$(prop ActiveState)" = active ] && [ "$(prop SubState)" = running ]
}
check "systemctl start custos returns once the agent sent READY=1" start
echo "# started in $(($(date +%s) - t0)) s since boot+install"
check "the journal has the agent's ready line" \
	until_ok 50 bash -c 'journalctl -u custos -o cat | grep -qx "custos: ready"'
check "the status socket is in the unit's RuntimeDirectory (0700)" \
	bash -c '[ -S /run/custos/status.sock ] && [ "$(stat -c %a /run/custos)" = 700 ]'
check "custos status answers on the default socket" \
	bash -c 'custos status | grep -q "^rules: .*in force"'
check "the programs are pinned in /sys/fs/bpf/custos (they outlive the agent)" \
	bash -c '[ -d /sys/fs/bpf/custos ] && [ -n "$(ls /sys/fs/bpf/custos)" ]'

trigger() {
	/usr/local/bin/deploy-marker
	cat /root/deploy-secret >/dev/null
	(echo >/dev/tcp/127.0.0.2/9) 2>/dev/null
	return 0
}
trigger
check "an exec record lands in $events" until_ok 100 has_record exec deploy-exec
check "a file record lands in $events" until_ok 100 has_record file deploy-file
check "a connect record lands in $events" until_ok 100 has_record connect deploy-connect
# tampering: a runtime drop-in that would change ExecStart at the next restart
mkdir -p /run/systemd/system/custos.service.d
printf '[Service]\nExecStart=\nExecStart=/bin/true\n' >/run/systemd/system/custos.service.d/zz-tamper.conf
check "a runtime drop-in written by a shell is a custos-self-tamper record" \
	until_ok 100 bash -c 'grep -F "\"rule\":\"custos-self-tamper\"" '"$events"' |
		grep -qF "/run/systemd/system/custos.service.d/zz-tamper.conf"'
rm -rf /run/systemd/system/custos.service.d
check "the events file is 0600 in a 0700 directory" \
	bash -c '[ "$(stat -c %a '$events')" = 600 ] && [ "$(stat -c %a /var/log/custos)" = 700 ]'

cat >/etc/custos/rules.d/deploy-reload.yaml <<'RULES'
custos: 1
rules:
  - id: deploy-reload
    on: exec
    severity: low
    when:
      exe: /usr/local/bin/deploy-marker2
RULES
chmod 0644 /etc/custos/rules.d/deploy-reload.yaml
check "systemctl reload custos succeeds" systemctl reload custos.service
check "custos status counts the reload" \
	until_ok 100 bash -c 'custos status | grep -q "^reloads: *1 ok, 0 failed"'
/usr/local/bin/deploy-marker2
check "a rule added before the reload reports" until_ok 100 has_record exec deploy-reload

pid=$(prop MainPID)
kill -9 "$pid"
restarted() {
	local p
	p=$(prop MainPID)
	[ "$(prop NRestarts)" = 1 ] && [ "$p" != 0 ] && [ "$p" != "$pid" ] &&
		[ "$(prop ActiveState)" = active ] && [ "$(prop SubState)" = running ] &&
		custos status >/dev/null
}
check "kill -9 of the agent: systemd restarts it (Restart=on-failure)" until_ok 600 restarted
check "the restarted agent adopted the pinned programs (no window)" \
	bash -c 'journalctl -u custos -o cat | grep -q "^custos: pin: adopted"'
rm -f "$events.before" && cp "$events" "$events.before"
before=$(grep -c '"rule":"deploy-exec"' "$events")
/usr/local/bin/deploy-marker
check "the restarted agent reports again" \
	until_ok 100 bash -c '[ "$(grep -c "\"rule\":\"deploy-exec\"" '$events')" -gt '"$before"' ]'
rm -f "$events.before"

stopped() {
	systemctl stop custos.service || return 1
	[ "$(prop ActiveState)" = inactive ] && [ "$(prop Result)" = success ] &&
		[ "$(prop ExecMainStatus)" = 0 ] && [ ! -e /run/custos ]
}
check "systemctl stop: exit 0, result success, /run/custos gone" stopped
check "systemd logged no failure of the unit but the kill -9" \
	bash -c '! journalctl -u custos -o cat | grep -Ei "error|fail" | grep -v "result .signal."'
check "the agent itself logged no error or warning" \
	bash -c '! journalctl _SYSTEMD_UNIT=custos.service -o cat | grep -Ei "error|warn|fail"'

rm -f /etc/custos/rules.d/deploy.yaml /etc/custos/rules.d/deploy-reload.yaml
rm -f /usr/local/bin/deploy-marker /usr/local/bin/deploy-marker2 /root/deploy-secret
check "dpkg --purge custos" dpkg --purge custos
purge_clean() { diff /tmp/before.list <(snapshot); }
check "purge leaves nothing: the file system is as before the install" purge_clean
check "no custos files under /etc, /var, /usr, /run, /sys/fs/bpf" \
	bash -c '! find /etc /var /usr /run /sys/fs/bpf -name "*custos*" | grep -v custos-deploy-test'

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
