-- Alerts per audience: a level is assessed from what one class of viewer may see, so each class
-- (`truce_access::Access::audience`: nation, clearance, held categories) has its own alerts. Alerts
-- stored before were assessed from everything: the operator's audience, `*`.

ALTER TABLE alerts ADD COLUMN audience TEXT NOT NULL DEFAULT '*';
CREATE INDEX alerts_by_audience ON alerts (audience, scope, seq);
