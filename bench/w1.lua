-- w1.lua: W1, goods by ID, the same POST on every request, for both the
-- gateway and the baseline (bench/ab.sh). BENCH_TOKEN is the bearer token,
-- BENCH_ID the goods' ID.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN is not set")
wrk.body = '{"query":"query($id: ID!){ goods(id:$id){ id name price description createdAt updatedAt } }","variables":{"id":"'
  .. assert(os.getenv("BENCH_ID"), "BENCH_ID is not set") .. '"}}'
