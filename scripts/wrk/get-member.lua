-- Reads one of 5,000 members per request.
dofile(os.getenv("ACCRUE_WRK") .. "/common.lua")

request = function()
  counter = counter + 1
  return wrk.format("GET", "/v1/programs/jd-points/members/m-" .. ((counter * 7919) % 5000),
    {["Authorization"] = "Bearer " .. key})
end
