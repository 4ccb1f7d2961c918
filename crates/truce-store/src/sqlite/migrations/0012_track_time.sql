-- The track history by time, for replay (`TrackStore::track_window`): every uid's points in a window,
-- oldest first, paged by (time_ms, seq). Without it a window is a scan of the whole history.
CREATE INDEX tracks_time ON tracks (time_ms, seq);
