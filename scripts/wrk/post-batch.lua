-- 100 order.completed inputs per request, each with a new id, over 5,000 members.
dofile(os.getenv("ACCRUE_WRK") .. "/common.lua")

request = function()
  local items = {}
  for i = 1, 100 do
    local id = next_id()
    local member = "m-" .. (counter % 5000)
    items[i] = '{"id":"b-' .. id .. '","type":"order.completed","member":"' .. member ..
      '","at":"' .. at .. '","data":{"order":"p-' .. id .. '","amount":"80.00","currency":"CNY"}}'
  end
  return wrk.format("POST", "/v1/programs/jd-points/batches",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, '{"inputs":[' .. table.concat(items, ",") .. ']}')
end
