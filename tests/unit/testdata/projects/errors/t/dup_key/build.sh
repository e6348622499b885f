#!/bin/sh
echo building t/dup_key
