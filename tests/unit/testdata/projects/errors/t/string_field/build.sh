#!/bin/sh
echo building t/string_field
