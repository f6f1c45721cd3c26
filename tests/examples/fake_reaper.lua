-- A fake REAPER for tests/examples/test_reaper.py: one project at 120 BPM in 4/4 holding one selected
-- MIDI item at 2 s (quarter note 4) on track 1; ExecProcess really runs the command.
-- Every function returns what REAPER's ReaScript API returns (reaper_plugin_functions.h, Lua
-- binding: C out-parameters become extra return values after the C return value). The table in
-- docs/daw/reaper.md lists each one beside REAPER's signature.
-- FAKE_ANSWERS: what the user types into the GetUserInputs dialog, by the first word of a field's
-- label ({Parts = "bass,keys"}); fields without an answer keep their default.
local QN_PER_SECOND, TICKS = 2.0, 960
local function new_take(qn) return {qn = qn, notes = {}} end
local source = {take = new_take(4.0), position = 2.0}
local tune = {{72, 0, 1}, {74, 1, 1}, {76, 2, 2}, {77, 4, 1}, {76, 5, 1}, {74, 6, 2}, {72, 8, 2}, {71, 10, 2}, {72, 12, 4}}
for _, n in ipairs(tune) do
  source.take.notes[#source.take.notes + 1] = {pitch = n[1], on = n[2] * TICKS, off = (n[2] + n[3]) * TICKS, vel = 90}
end
source.take.notes[#source.take.notes + 1] = {pitch = 30, on = 0, off = TICKS, vel = 90, muted = true}
local tracks = {{name = "tune", items = {source}}}
source.track = tracks[1]
FAKE_DIALOGS = {} -- the labels of each dialog shown, for the test to read

local function check(ok, message) if not ok then error("REAPER API misuse: " .. message, 3) end end
local function is_int(n) return math.type(n) == "integer" or (type(n) == "number" and n == math.floor(n)) end

local function split(text, separator)
  local fields, start = {}, 1
  while true do
    local at = text:find(separator, start, true)
    if not at then fields[#fields + 1] = text:sub(start); return fields end
    fields[#fields + 1] = text:sub(start, at - 1)
    start = at + #separator
  end
end

reaper = {}

-- MediaItem* GetSelectedMediaItem(ReaProject* proj, int selitem)
function reaper.GetSelectedMediaItem(proj, selitem)
  check(proj == 0 and is_int(selitem), "GetSelectedMediaItem(proj, selitem)")
  if selitem == 0 then return source end
  return nil
end
-- MediaItem_Take* GetActiveTake(MediaItem* item)
function reaper.GetActiveTake(item) check(item and item.take, "GetActiveTake(item)"); return item.take end
-- bool TakeIsMIDI(MediaItem_Take* take)
function reaper.TakeIsMIDI(take) check(take and take.notes, "TakeIsMIDI(take)"); return true end

-- bool GetUserInputs(const char* title, int num_inputs, const char* captions_csv, char* retvals_csv, int sz)
-- Lua: boolean retval, string retvals_csv = reaper.GetUserInputs(title, num_inputs, captions_csv, retvals_csv)
-- Captions are split on every comma whatever separator= says (separator= is for the values); extra
-- fields extrawidth=N and separator=X are options, not labels; at most 16 fields.
function reaper.GetUserInputs(title, num_inputs, captions_csv, retvals_csv)
  check(type(title) == "string" and is_int(num_inputs) and type(captions_csv) == "string"
    and type(retvals_csv) == "string", "GetUserInputs(title, num_inputs, captions_csv, retvals_csv)")
  check(num_inputs >= 1 and num_inputs <= 16, "GetUserInputs takes 1 to 16 fields")
  local captions, separator = {}, ","
  for _, field in ipairs(split(captions_csv, ",")) do
    if field:match("^extrawidth=%d+$") then
      -- widens the text fields
    elseif field:match("^separator=.$") then
      separator = field:sub(-1)
    else
      captions[#captions + 1] = field
    end
  end
  check(#captions == num_inputs, ("GetUserInputs: %d labels for %d fields (REAPER splits captions on every "
    .. "comma): %s"):format(#captions, num_inputs, table.concat(captions, " | ")))
  local values = split(retvals_csv, separator)
  check(#values <= num_inputs, ("GetUserInputs: %d default values for %d fields"):format(#values, num_inputs))
  for i = #values + 1, num_inputs do values[i] = "" end
  FAKE_DIALOGS[#FAKE_DIALOGS + 1] = captions
  local answered = {}
  for i, caption in ipairs(captions) do
    local word = caption:match("^%*?(%a+)")
    if FAKE_ANSWERS and word and FAKE_ANSWERS[word] ~= nil then
      values[i], answered[word] = FAKE_ANSWERS[word], true
    end
  end
  for word in pairs(FAKE_ANSWERS or {}) do check(answered[word], "no field is labelled " .. word) end
  return true, table.concat(values, separator)
end

-- double GetMediaItemInfo_Value(MediaItem* item, const char* parmname)
function reaper.GetMediaItemInfo_Value(item, key) check(key == "D_POSITION", key); return item.position end
-- double TimeMap2_timeToQN(ReaProject* proj, double tpos)
function reaper.TimeMap2_timeToQN(proj, t) check(proj == 0, "TimeMap2_timeToQN(proj, tpos)"); return t * QN_PER_SECOND end
-- void TimeMap_GetTimeSigAtTime(ReaProject* proj, double time, int* timesig_numOut, int* timesig_denomOut,
-- double* tempoOut); Lua: timesig_num, timesig_denom, tempo
function reaper.TimeMap_GetTimeSigAtTime(proj, time)
  check(proj == 0 and type(time) == "number", "TimeMap_GetTimeSigAtTime(proj, time)")
  return 4, 4, 120.0
end
-- int MIDI_CountEvts(MediaItem_Take* take, int* notecntOut, int* ccevtcntOut, int* textsyxevtcntOut)
-- Lua: integer retval, notecnt, ccevtcnt, textsyxevtcnt (the fake's retval: the three counts together)
function reaper.MIDI_CountEvts(take)
  check(take and take.notes, "MIDI_CountEvts(take)")
  return #take.notes, #take.notes, 0, 0
end
-- bool MIDI_GetNote(MediaItem_Take* take, int noteidx, bool* selectedOut, bool* mutedOut, double* startppqposOut,
-- double* endppqposOut, int* chanOut, int* pitchOut, int* velOut); Lua: retval, selected, muted, ..., vel
function reaper.MIDI_GetNote(take, i)
  check(is_int(i), "MIDI_GetNote(take, noteidx)")
  local n = take.notes[i + 1]
  if not n then return false, false, false, 0.0, 0.0, 0, 0, 0 end
  return true, false, n.muted or false, n.on + 0.0, n.off + 0.0, 0, n.pitch, n.vel
end
-- double MIDI_GetProjQNFromPPQPos(MediaItem_Take* take, double ppqpos)
function reaper.MIDI_GetProjQNFromPPQPos(take, ppq) return take.qn + ppq / TICKS end
-- double MIDI_GetPPQPosFromProjQN(MediaItem_Take* take, double projqn)
function reaper.MIDI_GetPPQPosFromProjQN(take, qn) return (qn - take.qn) * TICKS end
-- const char* GetResourcePath()
function reaper.GetResourcePath() return FAKE_RESOURCES end
-- int RecursiveCreateDirectory(const char* path, size_t ignored)
function reaper.RecursiveCreateDirectory(path, ignored)
  check(type(path) == "string" and ignored ~= nil, "RecursiveCreateDirectory(path, ignored)")
  os.execute('mkdir -p "' .. path .. '"')
  return 1
end
-- const char* ExecProcess(const char* cmdline, int timeoutmsec): NULL if it could not run, else the exit
-- code, a newline, then the output
function reaper.ExecProcess(command, timeout)
  check(is_int(timeout), "ExecProcess(cmdline, timeoutmsec)")
  local pipe = io.popen(command .. " 2>&1")
  local output = pipe:read("a")
  local _, _, code = pipe:close()
  return tostring(code) .. "\n" .. output
end
-- int ShowMessageBox(const char* msg, const char* title, int type): the test fails on any box
function reaper.ShowMessageBox(text) error("REAPER would show: " .. text) end
-- MediaTrack* GetMediaItem_Track(MediaItem* item)
function reaper.GetMediaItem_Track(item) return item.track end
-- double GetMediaTrackInfo_Value(MediaTrack* tr, const char* parmname): IP_TRACKNUMBER counts from 1
function reaper.GetMediaTrackInfo_Value(track, key)
  check(key == "IP_TRACKNUMBER", key)
  for i, t in ipairs(tracks) do if t == track then return i + 0.0 end end
  return 0.0
end
-- void InsertTrackAtIndex(int idx, bool wantDefaults): idx clamped to 0..number of tracks
function reaper.InsertTrackAtIndex(index, defaults)
  check(is_int(index) and type(defaults) == "boolean", "InsertTrackAtIndex(idx, wantDefaults)")
  table.insert(tracks, math.max(0, math.min(index, #tracks)) + 1, {name = "", items = {}})
end
-- MediaTrack* GetTrack(ReaProject* proj, int trackidx), from 0
function reaper.GetTrack(proj, index) check(proj == 0 and is_int(index), "GetTrack(proj, trackidx)"); return tracks[index + 1] end
-- bool GetSetMediaTrackInfo_String(MediaTrack* tr, const char* parmname, char* stringNeedBig, bool setNewValue)
-- Lua: boolean retval, string stringNeedBig
function reaper.GetSetMediaTrackInfo_String(track, key, value, set)
  check(key == "P_NAME" and type(value) == "string" and type(set) == "boolean", "GetSetMediaTrackInfo_String")
  if set then track.name = value end
  return true, track.name
end
-- MediaItem* CreateNewMIDIItemInProj(MediaTrack* track, double starttime, double endtime, const bool* qnInOptional)
function reaper.CreateNewMIDIItemInProj(track, start_qn, end_qn, qn_in)
  check(qn_in == true, "the script places items in quarter notes (qnIn true)")
  local item = {take = new_take(start_qn), end_qn = end_qn}
  track.items[#track.items + 1] = item
  return item
end
-- bool MIDI_InsertNote(MediaItem_Take* take, bool selected, bool muted, double startppqpos, double endppqpos,
-- int chan, int pitch, int vel, const bool* noSortInOptional)
function reaper.MIDI_InsertNote(take, selected, muted, on, off, chan, pitch, vel, no_sort)
  check(type(selected) == "boolean" and type(muted) == "boolean" and is_int(chan) and is_int(pitch)
    and is_int(vel) and pitch >= 0 and pitch <= 127 and vel >= 1 and vel <= 127 and off > on,
    "MIDI_InsertNote(take, selected, muted, startppqpos, endppqpos, chan, pitch, vel, noSort)")
  take.notes[#take.notes + 1] = {pitch = pitch, on = on, off = off, vel = vel}
  take.unsorted = no_sort or nil
  return true
end
-- void MIDI_Sort(MediaItem_Take* take)
function reaper.MIDI_Sort(take) take.unsorted = nil end
-- void Undo_BeginBlock(); void Undo_EndBlock(const char* descchange, int extraflags); void UpdateArrange()
function reaper.Undo_BeginBlock() end
function reaper.Undo_EndBlock(description, flags) check(type(description) == "string" and is_int(flags), "Undo_EndBlock") end
function reaper.UpdateArrange() end

if not FAKE_SCRIPT then return end -- loaded for the API alone
dofile(FAKE_SCRIPT)
for i, track in ipairs(tracks) do
  for _, item in ipairs(track.items) do
    local take = item.take
    local first = take.notes[1]
    assert(not take.unsorted, "notes inserted with noSort were never sorted (MIDI_Sort)")
    print(string.format("track %d %s | start_qn %.3f | notes %d | first %s", i, track.name, take.qn, #take.notes,
      first and string.format("%d@%.3f", first.pitch, first.on / TICKS) or "-"))
  end
end
for _, labels in ipairs(FAKE_DIALOGS) do print("dialog | " .. table.concat(labels, " | ")) end
