#!/bin/sh
echo building t/sc_syntax
