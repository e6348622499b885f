#!/bin/sh
echo building t/json_type
