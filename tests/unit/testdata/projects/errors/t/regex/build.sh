#!/bin/sh
echo building t/regex
