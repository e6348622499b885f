#!/bin/sh
echo building beta/badjson
