#!/bin/sh
echo building other/foo
