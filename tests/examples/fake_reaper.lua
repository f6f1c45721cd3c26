-- A fake REAPER for tests/examples/test_reaper.py: one project at 120 BPM in 4/4 holding one selected
-- MIDI item at 2 s (quarter note 4) on track 1; ExecProcess really runs the command.
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

reaper = {}
function reaper.GetSelectedMediaItem() return source end
function reaper.GetActiveTake(item) return item.take end
function reaper.TakeIsMIDI() return true end
function reaper.GetUserInputs(_, _, captions, defaults) return true, FAKE_ANSWER or defaults end
function reaper.GetMediaItemInfo_Value(item, key) assert(key == "D_POSITION"); return item.position end
function reaper.TimeMap2_timeToQN(_, t) return t * QN_PER_SECOND end
function reaper.TimeMap_GetTimeSigAtTime() return 4, 4, 120.0 end
function reaper.MIDI_CountEvts(take) return true, #take.notes, 0, 0 end
function reaper.MIDI_GetNote(take, i)
  local n = take.notes[i + 1]
  return true, false, n.muted or false, n.on, n.off, 0, n.pitch, n.vel
end
function reaper.MIDI_GetProjQNFromPPQPos(take, ppq) return take.qn + ppq / TICKS end
function reaper.MIDI_GetPPQPosFromProjQN(take, qn) return (qn - take.qn) * TICKS end
function reaper.GetResourcePath() return FAKE_RESOURCES end
function reaper.RecursiveCreateDirectory(path) os.execute('mkdir -p "' .. path .. '"') end
function reaper.ExecProcess(command)
  local pipe = io.popen(command .. " 2>&1")
  local output = pipe:read("a")
  local _, _, code = pipe:close()
  return tostring(code) .. "\n" .. output
end
function reaper.ShowMessageBox(text) error("REAPER would show: " .. text) end
function reaper.GetMediaItem_Track(item) return item.track end
function reaper.GetMediaTrackInfo_Value(track, key)
  assert(key == "IP_TRACKNUMBER")
  for i, t in ipairs(tracks) do if t == track then return i + 0.0 end end
end
function reaper.InsertTrackAtIndex(index) table.insert(tracks, index + 1, {name = "", items = {}}) end
function reaper.GetTrack(_, index) return tracks[index + 1] end
function reaper.GetSetMediaTrackInfo_String(track, key, value) assert(key == "P_NAME"); track.name = value end
function reaper.CreateNewMIDIItemInProj(track, start_qn, end_qn, qn_in)
  assert(qn_in, "items are placed in quarter notes")
  local item = {take = new_take(start_qn), end_qn = end_qn}
  track.items[#track.items + 1] = item
  return item
end
function reaper.MIDI_InsertNote(take, _, _, on, off, _, pitch, vel)
  take.notes[#take.notes + 1] = {pitch = pitch, on = on, off = off, vel = vel}
end
function reaper.MIDI_Sort() end
function reaper.Undo_BeginBlock() end
function reaper.Undo_EndBlock() end
function reaper.UpdateArrange() end

dofile(FAKE_SCRIPT)
for i, track in ipairs(tracks) do
  for _, item in ipairs(track.items) do
    local take = item.take
    local first = take.notes[1]
    print(string.format("track %d %s | start_qn %.3f | notes %d | first %s", i, track.name, take.qn, #take.notes,
      first and string.format("%d@%.3f", first.pitch, first.on / TICKS) or "-"))
  end
end
