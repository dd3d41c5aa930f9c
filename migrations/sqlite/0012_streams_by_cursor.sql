-- Delivery claims the streams furthest behind first, walking this index:
-- streams that are caught up (the most, with many followers) come last
-- and are not scanned on every claim, so a claim costs what is pending,
-- not what is followed.
CREATE INDEX delivery_streams_by_cursor ON delivery_streams (cursor, peer_id);
