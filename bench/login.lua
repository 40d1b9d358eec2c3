wrk.method = "POST"
wrk.body = '{"email":"bench@salon.test","password":"a long passphrase 42"}'
wrk.headers["Content-Type"] = "application/json"
