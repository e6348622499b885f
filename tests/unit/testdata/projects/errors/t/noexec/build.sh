#!/bin/sh
echo building t/noexec
