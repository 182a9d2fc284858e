-- The decisions of one llmqueue shared by several instances. Each call is one atomic decision: Redis runs a script
-- alone, so no two instances ever see a half-made one, and no Java code reads and then writes.
--
-- KEYS[1]  the queue's prefix, "{queueName}" (the braces keep every key in one Redis Cluster slot)
-- ARGV[1]  the decision: submit | release | withdraw | heartbeat | rejoin | leave | configure | stats
-- ARGV[2]  the node asking
-- Every decision answers with an array (the Java side reads one reply type).
--
-- Keys under the prefix:
--   :cfg               hash   the shared settings (limit, reserved, perServer, maxWait, maxH, maxL, whenFull,
--                             disabled, adaptive), written by the nodes at start and by any live change
--   :count             hash   H and L (tickets waiting), run and runL (leases), seq (the global push counter)
--   :tickets           hash   ticket -> "prio\nnode\nserver\npushMs" for each waiting ticket
--   :wait:H|L:<server> zset   the waiting tickets of one priority and server, scored by push order (newest highest)
--   :servers           set    the servers with tickets waiting
--   :leases            hash   ticket -> "prio\nnode\nserver\ngrantMs" for each slot taken
--   :srun, :slim, :sok hash   per server: leases, lowered adaptive limit, successes since the last change
--   :nodes             zset   node -> the time (ms) its lease runs out unless it renews it
--   :epoch             hash   node -> the epoch of its last rejoin (grants carry it)
--   :node:<n>:tickets  set    a node's waiting tickets;  :node:<n>:leases  set  its slots
--   :grants:<n>        list   a node's messages, popped by the node with BLPOP:
--                             "G <epoch> <ticket>" granted, "D <epoch> <ticket>" dropped (whenFull=dropOldest),
--                             "C name value ..." these shared settings changed

local P = KEYS[1]
local op = ARGV[1]
local node = ARGV[2]

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local CFG, COUNT, TICKETS, LEASES = P .. ':cfg', P .. ':count', P .. ':tickets', P .. ':leases'
local SERVERS, NODES, EPOCH = P .. ':servers', P .. ':nodes', P .. ':epoch'
local SRUN, SLIM, SOK = P .. ':srun', P .. ':slim', P .. ':sok'

local function waitKey(prio, server) return P .. ':wait:' .. prio .. ':' .. server end
local function nodeTickets(n) return P .. ':node:' .. n .. ':tickets' end
local function nodeLeases(n) return P .. ':node:' .. n .. ':leases' end
local function grantList(n) return P .. ':grants:' .. n end

local function parse(data)
    local prio, n, server, at = string.match(data, '^(%a)\n([^\n]*)\n([^\n]*)\n(%d+)$')
    return prio, n, server, tonumber(at)
end

local function num(value, default)
    if value then
        return tonumber(value)
    end
    return default
end

-- a waiting ticket joins: newest of all, whatever its node
local function enqueue(ticket, prio, n, server)
    local seq = redis.call('HINCRBY', COUNT, 'seq', 1)
    redis.call('HSET', TICKETS, ticket, prio .. '\n' .. n .. '\n' .. server .. '\n' .. now)
    redis.call('ZADD', waitKey(prio, server), seq, ticket)
    redis.call('SADD', SERVERS, server)
    redis.call('SADD', nodeTickets(n), ticket)
    redis.call('HINCRBY', COUNT, prio, 1)
end

-- a waiting ticket leaves (granted, withdrawn, dropped, or its node is gone)
local function unwait(ticket)
    local data = redis.call('HGET', TICKETS, ticket)
    if not data then
        return nil
    end
    local prio, n, server = parse(data)
    redis.call('ZREM', waitKey(prio, server), ticket)
    redis.call('HDEL', TICKETS, ticket)
    redis.call('SREM', nodeTickets(n), ticket)
    redis.call('HINCRBY', COUNT, prio, -1)
    if redis.call('EXISTS', waitKey('H', server)) == 0 and redis.call('EXISTS', waitKey('L', server)) == 0 then
        redis.call('SREM', SERVERS, server)
    end
    return prio, n, server
end

local function addLease(ticket, prio, n, server)
    redis.call('HSET', LEASES, ticket, prio .. '\n' .. n .. '\n' .. server .. '\n' .. now)
    redis.call('SADD', nodeLeases(n), ticket)
    redis.call('HINCRBY', COUNT, 'run', 1)
    if prio == 'L' then
        redis.call('HINCRBY', COUNT, 'runL', 1)
    end
    redis.call('HINCRBY', SRUN, server, 1)
end

local function dropLease(ticket)
    local data = redis.call('HGET', LEASES, ticket)
    if not data then
        return nil
    end
    local prio, n, server = parse(data)
    redis.call('HDEL', LEASES, ticket)
    redis.call('SREM', nodeLeases(n), ticket)
    redis.call('HINCRBY', COUNT, 'run', -1)
    if prio == 'L' then
        redis.call('HINCRBY', COUNT, 'runL', -1)
    end
    if redis.call('HINCRBY', SRUN, server, -1) <= 0 then
        redis.call('HDEL', SRUN, server)
    end
    return prio, n, server
end

-- everything a node held goes: its waiting tickets, its slots, its messages
local function forgetNode(n)
    for _, ticket in ipairs(redis.call('SMEMBERS', nodeTickets(n))) do
        unwait(ticket)
    end
    for _, ticket in ipairs(redis.call('SMEMBERS', nodeLeases(n))) do
        dropLease(ticket)
    end
    redis.call('DEL', nodeTickets(n), nodeLeases(n), grantList(n))
    redis.call('HDEL', EPOCH, n)
    redis.call('ZREM', NODES, n)
end

-- the nodes whose lease ran out (killed, cut off) lose everything they held
local function purge()
    local dead = redis.call('ZRANGEBYSCORE', NODES, '-inf', now, 'LIMIT', 0, 64)
    for _, n in ipairs(dead) do
        forgetNode(n)
    end
    return #dead
end

local function settings()
    local c = redis.call('HMGET', CFG, 'limit', 'reserved', 'perServer', 'maxWait', 'disabled', 'adaptive')
    return {
        limit = num(c[1], 2), reserved = num(c[2], 0), perServer = num(c[3], 0), maxWait = num(c[4], 0),
        disabled = c[5] == 'true', adaptive = c[6] ~= 'false'
    }
end

-- what one server may hold: its lowered limit, under perServer and the global limit
local function serverCap(server, s)
    local cap = math.min(num(redis.call('HGET', SLIM, server), s.limit), s.limit)
    if s.perServer > 0 then
        cap = math.min(cap, s.perServer)
    end
    return cap
end

-- While a slot is free and a ticket may take it: the oldest LOW one when it has waited maxWait (aging), else the
-- newest HIGH one, else the newest LOW one (LOW only under limit - reserved), among the servers with room. Each grant
-- becomes a lease and a message on its node's list, in this same script: nothing is granted twice, nothing is lost.
local function grant()
    local s = settings()
    local granted = 0
    while true do
        local c = redis.call('HMGET', COUNT, 'run', 'runL', 'H', 'L')
        local run, runL, waitingH, waitingL = num(c[1], 0), num(c[2], 0), num(c[3], 0), num(c[4], 0)
        if run >= s.limit then
            break
        end
        local lowMay = waitingL > 0 and not s.disabled and runL < s.limit - s.reserved
        if waitingH <= 0 and not lowMay then
            break
        end
        local high, highSeq, newestLow, newestLowSeq, oldestLow, oldestLowSeq
        for _, server in ipairs(redis.call('SMEMBERS', SERVERS)) do
            if num(redis.call('HGET', SRUN, server), 0) < serverCap(server, s) then
                if waitingH > 0 then
                    local top = redis.call('ZRANGE', waitKey('H', server), -1, -1, 'WITHSCORES')
                    if top[1] and (not high or tonumber(top[2]) > highSeq) then
                        high, highSeq = top[1], tonumber(top[2])
                    end
                end
                if lowMay then
                    local top = redis.call('ZRANGE', waitKey('L', server), -1, -1, 'WITHSCORES')
                    if top[1] and (not newestLow or tonumber(top[2]) > newestLowSeq) then
                        newestLow, newestLowSeq = top[1], tonumber(top[2])
                    end
                    local bottom = redis.call('ZRANGE', waitKey('L', server), 0, 0, 'WITHSCORES')
                    if bottom[1] and (not oldestLow or tonumber(bottom[2]) < oldestLowSeq) then
                        oldestLow, oldestLowSeq = bottom[1], tonumber(bottom[2])
                    end
                end
            end
        end
        local pick = high or newestLow
        if oldestLow and s.maxWait > 0 then
            local _, _, _, pushed = parse(redis.call('HGET', TICKETS, oldestLow))
            if now - pushed >= s.maxWait then
                pick = oldestLow
            end
        end
        if not pick then
            break
        end
        local prio, n, server = unwait(pick)
        addLease(pick, prio, n, server)
        redis.call('RPUSH', grantList(n), 'G ' .. (redis.call('HGET', EPOCH, n) or '0') .. ' ' .. pick)
        granted = granted + 1
    end
    return granted
end

-- AIMD per server, as the local scheduler does it: halved on overload, one up after as many successes as the limit
local function adapt(server, signal)
    local s = settings()
    if not s.adaptive then
        return
    end
    if signal == 'OVERLOADED' then
        redis.call('HSET', SLIM, server, math.max(1, math.floor(serverCap(server, s) / 2)))
        redis.call('HDEL', SOK, server)
    elseif signal == 'SUCCESS' then
        local lowered = redis.call('HGET', SLIM, server)
        if lowered and redis.call('HINCRBY', SOK, server, 1) >= tonumber(lowered) then
            if tonumber(lowered) + 1 >= s.limit then
                redis.call('HDEL', SLIM, server)
            else
                redis.call('HSET', SLIM, server, tonumber(lowered) + 1)
            end
            redis.call('HDEL', SOK, server)
        end
    end
end

if op == 'submit' then
    -- ARGV: ticket, prio (H|L), server.  Returns {'OK'} | {'QUEUE_FULL', max} | {'BACKGROUND_DISABLED'} | {'REJOIN'}
    local ticket, prio, server = ARGV[3], ARGV[4], ARGV[5]
    purge()
    if not redis.call('ZSCORE', NODES, node) then
        -- this node's lease ran out (a long pause, an outage): it tells everything it holds, this ticket included
        return { 'REJOIN' }
    end
    local c = redis.call('HMGET', CFG, 'maxH', 'maxL', 'whenFull', 'disabled')
    if prio == 'L' and c[4] == 'true' then
        return { 'BACKGROUND_DISABLED' }
    end
    local max = num(prio == 'H' and c[1] or c[2], 10000)
    if num(redis.call('HGET', COUNT, prio), 0) >= max then
        if c[3] ~= 'dropOldest' then
            return { 'QUEUE_FULL', tostring(max) }
        end
        local oldest, oldestSeq
        for _, s in ipairs(redis.call('SMEMBERS', SERVERS)) do
            local bottom = redis.call('ZRANGE', waitKey(prio, s), 0, 0, 'WITHSCORES')
            if bottom[1] and (not oldest or tonumber(bottom[2]) < oldestSeq) then
                oldest, oldestSeq = bottom[1], tonumber(bottom[2])
            end
        end
        if oldest then
            local _, n = unwait(oldest)
            redis.call('RPUSH', grantList(n), 'D ' .. (redis.call('HGET', EPOCH, n) or '0') .. ' ' .. oldest)
        end
    end
    enqueue(ticket, prio, node, server)
    grant()
    return { 'OK' }
elseif op == 'release' then
    -- ARGV: ticket, signal (SUCCESS | OVERLOADED | FAILED | PREEMPTED | NONE). Idempotent.
    purge()
    local _, _, server = dropLease(ARGV[3])
    if server then
        adapt(server, ARGV[4])
    end
    return { grant() }
elseif op == 'withdraw' then
    -- ARGV: ticket. A waiting ticket goes; a ticket already granted gives its slot back.
    -- Like every decision it first purges the dead nodes (a withdraw used not to: their slots stayed taken, and their
    -- waiting tickets could still be granted, until some other decision came).
    local freed = purge()
    local slotBack = false
    if not unwait(ARGV[3]) then
        slotBack = dropLease(ARGV[3]) ~= nil
    end
    if slotBack or freed > 0 then
        return { grant() }
    end
    return { 0 }
elseif op == 'heartbeat' then
    -- ARGV: leaseMs. Renews this node's lease; returns {1} when the node is unknown (it must rejoin), else {0}.
    local freed = purge()
    if not redis.call('ZSCORE', NODES, node) then
        return { 1 }
    end
    redis.call('ZADD', NODES, now + tonumber(ARGV[3]), node)
    if freed > 0 then
        grant()
    end
    return { 0 }
elseif op == 'rejoin' then
    -- ARGV: leaseMs, epoch, settings count, (name value)*, running count, (ticket prio server)*, then waiting
    -- (ticket prio server)* oldest first. Replaces all this node held; its calls in flight count at once, even above
    -- the limit. The settings fill in what Redis lost (a restart): those it kept, possibly changed live, stay.
    purge()
    forgetNode(node)
    redis.call('ZADD', NODES, now + tonumber(ARGV[3]), node)
    redis.call('HSET', EPOCH, node, ARGV[4])
    local i = 6
    for _ = 1, tonumber(ARGV[5]) do
        redis.call('HSETNX', CFG, ARGV[i], ARGV[i + 1])
        i = i + 2
    end
    local running = tonumber(ARGV[i])
    i = i + 1
    for _ = 1, running do
        addLease(ARGV[i], ARGV[i + 1], node, ARGV[i + 2])
        i = i + 3
    end
    while i <= #ARGV do
        enqueue(ARGV[i], ARGV[i + 1], node, ARGV[i + 2])
        i = i + 3
    end
    return { grant() }
elseif op == 'leave' then
    purge()
    forgetNode(node)
    return { grant() }
elseif op == 'configure' then
    -- ARGV: (name value)*. Every other live node is told what changed: the message carries the change itself, so a
    -- node applies exactly that, and no read of all the settings can overtake (and undo) a change of its own.
    -- Purged first: a node whose lease ran out is not told (its list would outlive it), and its slots count as free
    -- for the grants a new limit allows.
    purge()
    local message = 'C'
    for i = 3, #ARGV, 2 do
        redis.call('HSET', CFG, ARGV[i], ARGV[i + 1])
        message = message .. ' ' .. ARGV[i] .. ' ' .. ARGV[i + 1]
        -- as in one JVM, switching adaptive concurrency off forgets every lowered limit: adapt() no longer runs, so
        -- a limit kept here would never be raised again and would cap its server for good
        if ARGV[i] == 'adaptive' and ARGV[i + 1] == 'false' then
            redis.call('DEL', SLIM, SOK)
        end
    end
    for _, n in ipairs(redis.call('ZRANGE', NODES, 0, -1)) do
        if n ~= node then
            redis.call('RPUSH', grantList(n), message)
        end
    end
    return { grant() }
elseif op == 'stats' then
    -- {H, L, run, runL, nodes, settings as name value ...}
    local c = redis.call('HMGET', COUNT, 'H', 'L', 'run', 'runL')
    local result = { num(c[1], 0), num(c[2], 0), num(c[3], 0), num(c[4], 0), redis.call('ZCOUNT', NODES, now, '+inf') }
    for _, v in ipairs(redis.call('HGETALL', CFG)) do
        table.insert(result, v)
    end
    return result
end
return redis.error_reply('llmqueue: unknown decision ' .. tostring(op))
