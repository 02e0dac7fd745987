-- One order.completed per request, each with a new id, over 5,000 members.
dofile(os.getenv("ACCRUE_WRK") .. "/common.lua")

request = function()
  local id = next_id()
  local member = "m-" .. (counter % 5000)
  local body = '{"id":"i-' .. id .. '","type":"order.completed","member":"' .. member ..
    '","at":"' .. at .. '","data":{"order":"o-' .. id .. '","amount":"120.00","currency":"CNY"}}'
  return wrk.format("POST", "/v1/programs/jd-points/inputs",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
