-- load.lua: the mixed load of bench/load.sh across many tenants. Each
-- request goes to a tenant picked at random (uniformly), as one of:
--
--   40%  goods by ID           (query text; a random goods of the tenant)
--   20%  goods by ID, APQ      (persisted-query hash only, no query text)
--   20%  goodsList, 10 items   (first page)
--   10%  createGoods           (with the tenant's extension field)
--   10%  updateGoods           (a random goods of the tenant; new price)
--
-- so 80% reads and 20% writes. BENCH_DATA names the Lua file written by
-- "prepare load" (tokens, goods IDs, request bodies of each tenant).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local data = dofile(assert(os.getenv("BENCH_DATA"), "BENCH_DATA is not set"))
for _, t in ipairs(data) do
  t.headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t.token}
  t.quoted = {}
  for i, id in ipairs(t.goods) do t.quoted[i] = '"' .. id .. '"' end
end

local kinds = {"byId", "persisted", "list", "create", "update"}
sent = {byId = 0, persisted = 0, list = 0, create = 0, update = 0}
local seq, tid = 0, 0

function init(args)
  tid = wrk.thread:get("tid") or 0
  math.randomseed(os.time() * 1000 + tid)
end

local function goods(t)
  return t.quoted[math.random(#t.quoted)]
end

function request()
  local t = data[math.random(#data)]
  local r = math.random(100)
  local kind, body
  if r <= 40 then
    kind, body = "byId", string.format(t.byId, goods(t))
  elseif r <= 60 then
    kind, body = "persisted", string.format(t.persisted, goods(t))
  elseif r <= 80 then
    kind, body = "list", t.list
  elseif r <= 90 then
    seq = seq + 1
    kind, body = "create", string.format(t.create, '"load ' .. tid .. "-" .. seq .. '"')
  else
    kind, body = "update", string.format(t.update, goods(t), string.format("%.2f", math.random() * 100))
  end
  sent[kind] = sent[kind] + 1
  return wrk.format("POST", nil, t.headers, body)
end

-- Requests sent of each kind, summed over threads, for the RESULT line.
function report_extra(threads)
  local parts = {}
  for _, k in ipairs(kinds) do
    local n = 0
    for _, th in ipairs(threads) do n = n + (th:get("sent")[k] or 0) end
    table.insert(parts, "sent_" .. k .. "=" .. n)
  end
  return table.concat(parts, " ")
end
