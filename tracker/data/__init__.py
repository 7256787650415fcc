"""Files shipped inside the package: the example config and the systemd unit."""
