#!/bin/sh
echo building t/env_map_value
