-- continuo for REAPER: send the selected MIDI item to continuo, insert each part it writes as a new
-- item on a new track under the item's track, aligned to the item's start.
--
-- REAPER's Lua has no sockets, so this script does not speak OSC: it writes the item's notes (in
-- beats) to a temporary MIDI file, runs `continuo generate` on it with reaper.ExecProcess, reads
-- the MIDI file continuo writes (one named track per part) and inserts the notes itself, which
-- avoids REAPER's MIDI import dialog and keeps each part on its own named track.
-- See docs/daw/reaper.md. Actions > Show action list > New action > Load ReaScript.

-- The continuo command: a full path if REAPER does not see your shell's PATH, e.g.
-- "/home/me/continuo/.venv/bin/continuo" or [[C:\continuo\.venv\Scripts\continuo.exe]].
CONTINUO = CONTINUO or "continuo"
TIMEOUT_MS = 120000
PPQ = 480 -- ticks per quarter note in the file written for continuo
FIELDS = {"Task: harmonize accompany continue variations", "Parts: e.g. bass keys pad", "Bars (0 = as the item)",
  "Chords for accompany (optional)", "Seed (empty = random)"}

local M = {}

-- MIDI files -----------------------------------------------------------------------------------

local function u32(n) return string.char((n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255) end
local function u16(n) return string.char((n >> 8) & 255, n & 255) end

local function vlq(n)
  local bytes = string.char(n & 127)
  n = n >> 7
  while n > 0 do
    bytes = string.char((n & 127) | 128) .. bytes
    n = n >> 7
  end
  return bytes
end

--- Write notes {pitch, start_beats, duration_beats, velocity} as a one-track MIDI file.
function M.write_midi(path, notes, tempo_bpm, meter_num, meter_den)
  local events = {}
  for _, n in ipairs(notes) do
    local on = math.floor(n[2] * PPQ + 0.5)
    local off = math.max(on + 1, math.floor((n[2] + n[3]) * PPQ + 0.5))
    events[#events + 1] = {on, 1, string.char(0x90, n[1], n[4])}
    events[#events + 1] = {off, 0, string.char(0x80, n[1], 0)} -- offs first at equal times
  end
  table.sort(events, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
  local usec = math.floor(60000000 / tempo_bpm + 0.5)
  local log2 = math.floor(math.log(meter_den, 2) + 0.5)
  local track = {"\0\255\81\3" .. string.char((usec >> 16) & 255, (usec >> 8) & 255, usec & 255),
                 "\0\255\88\4" .. string.char(meter_num, log2, 24, 8)}
  local now = 0
  for _, e in ipairs(events) do
    track[#track + 1] = vlq(e[1] - now) .. e[3]
    now = e[1]
  end
  track[#track + 1] = "\0\255\47\0"
  local body = table.concat(track)
  local file = assert(io.open(path, "wb"))
  file:write("MThd", u32(6), u16(0), u16(1), u16(PPQ), "MTrk", u32(#body), body)
  file:close()
end

local function read_vlq(data, pos)
  local n = 0
  repeat
    local b = data:byte(pos)
    n = (n << 7) | (b & 127)
    pos = pos + 1
  until b < 128
  return n, pos
end

--- Read a MIDI file into parts: { {name=, notes={ {pitch, start_beats, duration_beats, velocity}, ...}}, ...}.
function M.read_midi(path)
  local file = assert(io.open(path, "rb"))
  local data = file:read("a")
  file:close()
  assert(data:sub(1, 4) == "MThd", path .. " is not a MIDI file")
  local division = string.unpack(">I2", data, 13)
  local pos, parts = 9 + string.unpack(">I4", data, 5), {}
  while pos + 8 <= #data do
    local kind, size = data:sub(pos, pos + 3), string.unpack(">I4", data, pos + 4)
    local stop, part, sounding, tick, status = pos + 8 + size, {name = "", notes = {}}, {}, 0, 0
    pos = pos + 8
    while kind == "MTrk" and pos < stop do
      local delta
      delta, pos = read_vlq(data, pos)
      tick = tick + delta
      local byte = data:byte(pos)
      if byte >= 0x80 then status, pos = byte, pos + 1 end -- else running status
      local high = status & 0xF0
      if status == 0xFF then
        local meta, length = data:byte(pos), 0
        length, pos = read_vlq(data, pos + 1)
        if meta == 3 then part.name = data:sub(pos, pos + length - 1) end
        pos = pos + length
      elseif status == 0xF0 or status == 0xF7 then
        local length
        length, pos = read_vlq(data, pos)
        pos = pos + length
      elseif high == 0x90 or high == 0x80 then
        local pitch, velocity = data:byte(pos), data:byte(pos + 1)
        pos = pos + 2
        local key = (status & 15) * 128 + pitch
        if high == 0x90 and velocity > 0 then
          sounding[key] = {tick, velocity}
        elseif sounding[key] then
          local on = sounding[key]
          part.notes[#part.notes + 1] = {pitch, on[1] / division, (tick - on[1]) / division, on[2]}
          sounding[key] = nil
        end
      elseif high == 0xC0 or high == 0xD0 then
        pos = pos + 1
      else
        pos = pos + 2
      end
    end
    if #part.notes > 0 then parts[#parts + 1] = part end
    pos = stop
  end
  return parts
end

--- The command line for one job (arguments quoted for the shell REAPER runs it with).
function M.command(task, input, output, keys)
  local role = ({harmonize = "melody", accompany = "melody", continue = "prompt"})[task] or "source"
  local args = {CONTINUO, "generate", "--task", task, "--" .. role, input, "--out", output}
  for _, kv in ipairs(keys) do
    if kv[2] ~= nil and kv[2] ~= "" then
      args[#args + 1] = "--" .. kv[1]
      args[#args + 1] = tostring(kv[2])
    end
  end
  for i, a in ipairs(args) do args[i] = '"' .. a:gsub('"', '\\"') .. '"' end
  return table.concat(args, " ")
end

-- REAPER ---------------------------------------------------------------------------------------

local function item_notes(take, item_qn)
  local notes = {}
  local _, count = reaper.MIDI_CountEvts(take) -- returns retval, notecnt, ccevtcnt, textsyxevtcnt
  for i = 0, count - 1 do
    local _, _, muted, start_ppq, end_ppq, _, pitch, velocity = reaper.MIDI_GetNote(take, i)
    if not muted then
      local start_qn = reaper.MIDI_GetProjQNFromPPQPos(take, start_ppq)
      local end_qn = reaper.MIDI_GetProjQNFromPPQPos(take, end_ppq)
      if start_qn >= item_qn then notes[#notes + 1] = {pitch, start_qn - item_qn, end_qn - start_qn, velocity} end
    end
  end
  return notes
end

local function insert_part(track_index, part, item_qn)
  reaper.InsertTrackAtIndex(track_index, true)
  local track = reaper.GetTrack(0, track_index)
  reaper.GetSetMediaTrackInfo_String(track, "P_NAME", "continuo " .. part.name, true)
  local last = 0
  for _, n in ipairs(part.notes) do last = math.max(last, n[2] + n[3]) end
  local item = reaper.CreateNewMIDIItemInProj(track, item_qn, item_qn + math.max(last, 1), true)
  local take = reaper.GetActiveTake(item)
  for _, n in ipairs(part.notes) do
    local on = reaper.MIDI_GetPPQPosFromProjQN(take, item_qn + n[2])
    local off = reaper.MIDI_GetPPQPosFromProjQN(take, item_qn + n[2] + n[3])
    reaper.MIDI_InsertNote(take, false, false, on, off, 0, n[1], n[4], true)
  end
  reaper.MIDI_Sort(take)
end

function M.main()
  local item = reaper.GetSelectedMediaItem(0, 0)
  local take = item and reaper.GetActiveTake(item)
  if not take or not reaper.TakeIsMIDI(take) then
    reaper.ShowMessageBox("Select one MIDI item first.", "continuo", 0)
    return
  end
  -- REAPER splits the labels on every comma (separator= only splits the values): no comma in a label
  local ok, answer = reaper.GetUserInputs("continuo", #FIELDS, table.concat(FIELDS, ",")
    .. ",extrawidth=150,separator=;", "harmonize;bass keys;0;;")
  if not ok then return end
  local task, parts, bars, chords, seed = answer:match("^([^;]*);([^;]*);([^;]*);([^;]*);([^;]*)$")
  parts = parts:gsub("^[%s,]+", ""):gsub("[%s,]+$", ""):gsub("[%s,]+", ",") -- "bass keys" or "bass,keys"
  local position = reaper.GetMediaItemInfo_Value(item, "D_POSITION")
  local item_qn = reaper.TimeMap2_timeToQN(0, position)
  local num, den, tempo = reaper.TimeMap_GetTimeSigAtTime(0, position)
  local notes = item_notes(take, item_qn)
  if #notes == 0 then
    reaper.ShowMessageBox("The selected item has no (unmuted) notes.", "continuo", 0)
    return
  end
  local folder = reaper.GetResourcePath() .. "/continuo"
  reaper.RecursiveCreateDirectory(folder, 0)
  local stamp = os.date("%Y%m%d-%H%M%S")
  local input, output = folder .. "/item-" .. stamp .. ".mid", folder .. "/result-" .. stamp .. ".mid"
  M.write_midi(input, notes, tempo, num, den)
  local command = M.command(task, input, output, {{"parts", parts}, {"bars", bars ~= "0" and bars or nil},
    {"chords", chords}, {"seed", seed}, {"tempo", string.format("%.3f", tempo)}, {"meter", num .. "/" .. den}})
  local result = reaper.ExecProcess(command, TIMEOUT_MS) or ""
  local code, text = result:match("^(%-?%d+)\n?(.*)$")
  if code ~= "0" then
    reaper.ShowMessageBox("continuo failed (exit " .. tostring(code) .. "):\n" .. (text or result)
      .. "\n\nCommand: " .. command, "continuo", 0)
    return
  end
  reaper.Undo_BeginBlock()
  local track_index = reaper.GetMediaTrackInfo_Value(reaper.GetMediaItem_Track(item), "IP_TRACKNUMBER")
  for i, part in ipairs(M.read_midi(output)) do insert_part(math.floor(track_index) + i - 1, part, item_qn) end
  reaper.Undo_EndBlock("continuo " .. task, -1)
  reaper.UpdateArrange()
end

if reaper and not CONTINUO_NO_MAIN then M.main() end
return M
