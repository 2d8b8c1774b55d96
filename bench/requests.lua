-- requests.lua: wrk script for bench/run.sh.
--
--   wrk -t T -c C -d D -s requests.lua URL -- FILE TOKEN T
--     sends each line of FILE ("METHOD PATH [BODY]", the format
--     bench/prepare.py writes) once, as fast as the connections allow,
--     with "Authorization: Bearer TOKEN". Thread k of T takes lines k,
--     k+T, k+2T, ... so no request is sent twice by two threads. If a
--     thread runs out it starts its share again; done() reports how many
--     requests were such repeats (for votes a repeat is an idempotent
--     no-op, not a durable insert, so run.sh rejects a run with repeats).
--   wrk ... -s requests.lua URL
--     (no arguments) sends wrk's own static request to URL (plus any -H),
--     for the GET runs.
--
-- Either way done() prints "RESULT wrk_* value" lines for run.sh. Pre-built
-- requests and no response() hook keep the Lua cost per request minimal.

local threads = {}
local nsetup = 0

function setup(thread)
	thread:set("id", nsetup)
	nsetup = nsetup + 1
	table.insert(threads, thread)
end

local function file_request()
	idx = idx + 1
	sent = sent + 1
	if idx > nreqs then
		idx = 1
	end
	return reqs[idx]
end

function init(args)
	sent = 0
	nreqs = 0
	local file, token, nthreads = args[1], args[2], tonumber(args[3])
	if file == nil then
		return
	end
	assert(token and nthreads, "usage: -- FILE TOKEN THREADS")
	local headers = {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}
	reqs = {}
	local i = 0
	for line in io.lines(file) do
		if i % nthreads == id then
			local method, path, body = line:match("^(%S+) (%S+) ?(.*)$")
			assert(method, "bad request line: " .. line)
			if body == "" then
				body = nil
			end
			reqs[#reqs + 1] = wrk.format(method, path, headers, body)
		end
		i = i + 1
	end
	nreqs = #reqs
	assert(nreqs > 0, "no requests for thread " .. id)
	idx = 0
	request = file_request
end

function done(summary, latency, requests)
	local repeats = 0
	local loaded = 0
	for _, t in ipairs(threads) do
		local s, n = t:get("sent"), t:get("nreqs")
		loaded = loaded + n
		if n > 0 and s > n then
			repeats = repeats + (s - n)
		end
	end
	local e = summary.errors
	io.write(string.format("RESULT wrk_requests %d\n", summary.requests))
	io.write(string.format("RESULT wrk_duration_s %.3f\n",
		summary.duration / 1e6))
	io.write(string.format("RESULT wrk_rate_per_s %.0f\n",
		summary.requests / (summary.duration / 1e6)))
	io.write(string.format("RESULT wrk_errors %d\n",
		e.connect + e.read + e.write + e.status + e.timeout))
	io.write(string.format("RESULT wrk_status_errors %d\n", e.status))
	io.write(string.format("RESULT wrk_p50_ms %.3f\n",
		latency:percentile(50) / 1000))
	io.write(string.format("RESULT wrk_p99_ms %.3f\n",
		latency:percentile(99) / 1000))
	io.write(string.format("RESULT wrk_loaded %d\n", loaded))
	io.write(string.format("RESULT wrk_repeats %d\n", repeats))
end
