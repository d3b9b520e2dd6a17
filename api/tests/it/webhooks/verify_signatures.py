"""Checks webhook tries' signatures with the `standardwebhooks` package (an independent
implementation of Standard Webhooks), as the Rust test `webhooks` runs it.

Reads JSON from stdin: {"secret": "...", "tries": [{"id", "timestamp", "signature", "body",
"verify"}]}. The key is "whsec_" + base64 of the secret's UTF-8 bytes (SENDING.md section 7).
Each try's signature must equal the package's `sign`; a try with "verify": true must also pass
`verify` (which checks the timestamp against the wall clock). Exit 0: all good; 2: the package is
missing; 1: a signature did not verify.
"""

import base64
import datetime
import json
import sys

try:
    from standardwebhooks.webhooks import Webhook
except ImportError:
    print("the Python package standardwebhooks is missing: "
          "python3 -m pip install 'standardwebhooks>=1.0.0,<2' (as .ci/run does)")
    sys.exit(2)

request = json.load(sys.stdin)
webhook = Webhook("whsec_" + base64.b64encode(request["secret"].encode("utf-8")).decode("ascii"))
for tried in request["tries"]:
    at = datetime.datetime.fromtimestamp(int(tried["timestamp"]), tz=datetime.timezone.utc)
    expected = webhook.sign(tried["id"], at, tried["body"])
    if expected != tried["signature"]:
        print(f"try {tried['id']} at {tried['timestamp']}: {tried['signature']} != {expected}")
        sys.exit(1)
    if tried.get("verify"):
        webhook.verify(tried["body"], {
            "webhook-id": tried["id"],
            "webhook-timestamp": tried["timestamp"],
            "webhook-signature": tried["signature"],
        })
print("ok")
