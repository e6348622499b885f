#!/bin/sh
echo building beta/noexec
