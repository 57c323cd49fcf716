-- wrk script for bench/contacts-http: POST /api/v1/contacts with distinct Arabic contacts.
-- Each wrk thread numbers its own requests; about one in five repeats an earlier caller, so
-- some contacts join an open conversation as they would on the hotline.
local threads = {}
local next_id = 0

function setup(thread)
    thread:set("tid", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function init(args)
    token = args[1]
    counter = 0
end

function request()
    counter = counter + 1
    local n = counter
    if counter % 5 == 0 then n = counter - 3 end
    local phone = string.format("05%d%07d", tid % 10, n % 10000000)
    local body = string.format(
        '{"channel":"phone","customer":{"name":"مواطن %d","phones":["%s"]},' ..
        '"service_line":"annual_returns","subject":"استفسار عن صرف العوائد",' ..
        '"body":"متى موعد صرف العوائد السنوية لهذا العام؟"}', n, phone)
    return wrk.format("POST", "/api/v1/contacts",
        {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
