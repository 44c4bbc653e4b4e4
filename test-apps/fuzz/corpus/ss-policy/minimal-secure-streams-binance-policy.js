ÿ{
	"release": "01234567",
	"product": "myproduct",
	"schema-version": 1,
	"retry": [{
		"default": {
			"backoff": [1000, 2000, 3000, 4000, 5000],
			"conceal": 65535,
			"jitterpc": 20,
			"svalidping": 30,
			"svalidhup": 35
		}
	}],
	"certs": [{
		"digicert_global_root": "MIIDrzCCApegAwIBAgIQCDvgVpBCRrGhdWrJAAAA"
       }
	],
		"trust_stores": [{
			"name": "digicert",
			"stack": ["digicert_global_root"]
		}
	],
	"s": [
		{ "binance": {
			"endpoint":		"fstream.binance.com",
			"port":			443,
			"protocol":		"ws",
			"http_url":		"/stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker/btcusdt@aggTrade",
			"nailed_up":        	true,
			"ws_prioritize_reads":	true,
			"tls":			true,
			"tls_trust_store":	"digicert",
			"retry":		"default"
			}
		}
	]
}

