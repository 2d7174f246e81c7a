# packaging/: systemd unit, default configuration, Debian and RPM packaging (filled by its module)
