#!/bin/sh
echo building t/sc_dup
