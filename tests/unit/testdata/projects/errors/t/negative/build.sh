#!/bin/sh
echo building t/negative
