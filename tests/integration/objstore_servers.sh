# objstore_servers.sh - the S3 and Azure emulators for the object store tests
# and the benchmark (source it after lib.sh).  Test-only servers come from npm
# (pinned versions), installed once into $SW_NPM_DIR (default
# ~/.cache/shrinkwatch/npm, reused offline afterwards); `make deps` installs
# them too.  Each server runs on 127.0.0.1 on a free port with its data in $T,
# and the lib.sh trap stops it (its arguments name $T) on success or failure.
S3RVER_VERSION=3.7.1
AZURITE_VERSION=3.35.0
SW_NPM_DIR=${SW_NPM_DIR:-$HOME/.cache/shrinkwatch/npm}

# npm_servers_install: s3rver and azurite at the pinned versions.
npm_servers_install() {
	local have
	have=$(node -e "try{console.log(require('$SW_NPM_DIR/node_modules/s3rver/package.json').version+' '+require('$SW_NPM_DIR/node_modules/azurite/package.json').version)}catch(e){}" 2>/dev/null || true)
	[ "$have" = "$S3RVER_VERSION $AZURITE_VERSION" ] && return 0
	command -v npm >/dev/null || fail "npm is missing (make deps installs it)"
	mkdir -p "$SW_NPM_DIR"
	npm install --no-audit --no-fund --silent --prefix "$SW_NPM_DIR" \
		"s3rver@$S3RVER_VERSION" "azurite@$AZURITE_VERSION" >"$T/npm.log" 2>&1 ||
		fail "cannot install s3rver and azurite from npm (see $T/npm.log): $(tail -n 3 "$T/npm.log")"
}

port_open() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1"; }

# s3rver_start PORT BUCKET: s3rver on 127.0.0.1:PORT with BUCKET, data in $T/s3data;
# sets S3_PID.  Access key and secret: S3RVER / S3RVER.  s3rver makes its
# continuation tokens with DES, which Node's OpenSSL 3 keeps in the legacy
# provider.
s3rver_start() {
	mkdir -p "$T/s3data"
	start s3rver node --openssl-legacy-provider "$SW_NPM_DIR/node_modules/s3rver/bin/s3rver.js" -d "$T/s3data" \
		-a 127.0.0.1 -p "$1" --silent --configure-bucket "$2"
	S3_PID=$LAST_PID
	wait_for 30 "s3rver on port $1" port_open "$1"
}

# azurite_start PORT: Azurite's blob service on 127.0.0.1:PORT, data in
# $T/azdata, telemetry off (it would call out to Azure); sets AZ_PID.  Account devstoreaccount1 with its published key.
AZ_ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
azurite_start() {
	mkdir -p "$T/azdata"
	start azurite node "$SW_NPM_DIR/node_modules/azurite/dist/src/blob/main.js" \
		--blobHost 127.0.0.1 --blobPort "$1" -l "$T/azdata" --skipApiVersionCheck \
		--disableProductStyleUrl --disableTelemetry --silent
	AZ_PID=$LAST_PID
	wait_for 30 "azurite on port $1" port_open "$1"
}

PUT="python3 $(dirname "${BASH_SOURCE[0]}")/objstore_put.py"
