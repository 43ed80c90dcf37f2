-- Printers a site's agents read over IPP by URI, in order: those whose SNMP is off,
-- which discovery cannot find.
ALTER TABLE sites ADD COLUMN ipp_printers TEXT NOT NULL DEFAULT '[]';
