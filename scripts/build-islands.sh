#!/usr/bin/env bash
# The hosted pages' islands bundles only, into $LEPTOS_SITE_ROOT/pkg (default target/site/pkg):
# kept for apps that embed Vestibule in islands mode and call it by this name.
exec "$(dirname "$0")/build.sh" islands
